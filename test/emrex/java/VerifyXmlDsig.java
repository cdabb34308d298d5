import java.io.File;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.io.FileInputStream;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * An independent check of an enveloped XML-DSig signature (the JDK's javax.xml.crypto, not the code that
 * signed): `java VerifyXmlDsig.java <signed.xml> <certificate.pem>` prints VALID or INVALID and the reason,
 * using only the given certificate's public key (never the one in the document).
 */
public class VerifyXmlDsig {
  public static void main(String[] args) throws Exception {
    DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
    dbf.setNamespaceAware(true);
    dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document doc = dbf.newDocumentBuilder().parse(new File(args[0]));
    NodeList nl = doc.getElementsByTagNameNS(XMLSignature.XMLNS, "Signature");
    if (nl.getLength() != 1) {
      System.out.println("INVALID: " + nl.getLength() + " signatures");
      return;
    }
    X509Certificate cert;
    try (FileInputStream in = new FileInputStream(args[1])) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    DOMValidateContext ctx = new DOMValidateContext(cert.getPublicKey(), nl.item(0));
    XMLSignature sig = XMLSignatureFactory.getInstance("DOM").unmarshalXMLSignature(ctx);
    boolean ok = sig.validate(ctx);
    boolean refs = sig.getSignedInfo().getReferences().stream().allMatch(r -> {
      try {
        return ((javax.xml.crypto.dsig.Reference) r).validate(ctx);
      } catch (Exception e) {
        return false;
      }
    });
    System.out.println(ok ? "VALID" : "INVALID: signature value " + sig.getSignatureValue().validate(ctx) + ", references " + refs);
  }
}
