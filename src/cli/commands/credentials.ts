import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../../core/errors.ts';
import { createDevSealKeys, sealKeysFolder } from '../../credentials/keys.ts';
import { credentialKeysDir } from '../../credentials/trust.ts';
import { configOrDemo, fail, runtime } from '../runtime.ts';

/**
 * `hub credentials keys --institution lu.lv`: an institution's seal key and certificate chain for digital
 * credentials. Makes a development CA and seal certificate where there are none, and prints where they
 * are, the seal certificate's subject, validity and SHA-256 fingerprint.
 */
export async function credentialsKeysCommand(opts: { config?: string; institution: string; algorithm?: string; json?: boolean }): Promise<void> {
  try {
    const rt = runtime();
    const { config } = configOrDemo(rt, opts.config);
    if (!config.institutions.some((i) => i.id === opts.institution))
      throw new ConfigError(`no institution ${opts.institution} in the config (known: ${config.institutions.map((i) => i.id).join(', ')})`);
    if (opts.algorithm && opts.algorithm !== 'ES256' && opts.algorithm !== 'RS256') throw new ConfigError(`--algorithm is ES256 or RS256, not ${opts.algorithm}`);
    const dir = credentialKeysDir(config, rt.env.dataDir);
    const keys = await createDevSealKeys(dir, opts.institution, opts.algorithm === 'RS256' || opts.algorithm === 'ES256' ? { algorithm: opts.algorithm } : {});
    const cert = new X509Certificate(keys.certificatePem);
    const report = {
      institution: opts.institution,
      folder: sealKeysFolder(dir, opts.institution),
      created: keys.created,
      subject: cert.subject.replace(/\n/g, ', '),
      validFrom: cert.validFrom,
      validTo: cert.validTo,
      sha256: cert.fingerprint256,
    };
    if (opts.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log(`${keys.created ? 'made a development seal key and certificate chain' : 'the seal key and certificate chain are there'} in ${report.folder}`);
    console.log(`  certificate ${report.subject}, valid ${report.validFrom} – ${report.validTo}`);
    console.log(`  SHA-256 ${report.sha256}`);
    console.log("For production put the institution's seal key (seal.key.pem), certificate (seal.cert.pem) and chain (chain.pem) there, or a Signer for an HSM (docs/credentials.md).");
  } catch (e) {
    fail(e);
  }
}
