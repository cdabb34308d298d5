import { ConfigError } from '../../core/errors.ts';
import { ENTRIES } from '../../ewp/manifest.ts';
import { KeyStore, MIN_KEY_BITS } from '../../ewp/security/keys.ts';
import { resolveEwpSettings } from '../../ewp/settings.ts';
import { fail, loadConfig, runtime } from '../runtime.ts';

/**
 * `hub ewp keys`: creates the RSA key pairs the EWP node needs (one client key per HEI of the
 * `ewp` section, one server key), where they are missing, and prints what each HEI's manifest
 * publishes: the base64 SPKI of each public key, its keyId (what the registry lists), and the
 * manifest URL to give the registry. Private keys stay in the keys folder (mode 0600).
 */
export async function ewpKeysCommand(opts: { config?: string; bits?: string; json?: boolean }): Promise<void> {
  try {
    const rt = runtime();
    const config = loadConfig(rt, opts.config ?? rt.env.configFile);
    const settings = resolveEwpSettings(config, rt.env.dataDir);
    if (!settings) throw new ConfigError('the configuration has no ewp section: no HEI takes part in EWP through this hub');
    const bits = opts.bits === undefined ? MIN_KEY_BITS : Number(opts.bits);
    if (!Number.isInteger(bits) || bits < MIN_KEY_BITS) throw new ConfigError(`--bits must be an integer of at least ${MIN_KEY_BITS}`);
    const store = new KeyStore(settings.keysDir);
    const server = store.serverKey(bits);
    const heis = [...settings.heis.values()].map((h) => {
      const c = store.clientKey(h.id, bits);
      return { hei: h.id, manifestUrl: `${h.baseUrl}/${ENTRIES[0]!.urls[0]![1]}`, created: c.created, clientKey: { keyId: c.key.keyId, bits: c.key.bits, spki: c.key.spkiBase64 } };
    });
    const report = { keysDir: settings.keysDir, serverKey: { keyId: server.key.keyId, bits: server.key.bits, spki: server.key.spkiBase64, created: server.created }, heis };
    if (opts.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log(`EWP keys in ${settings.keysDir} (private keys never leave it)\n`);
    console.log(`server key ${server.key.keyId} (${server.key.bits} bits${server.created ? ', new' : ''}), shared by every HEI's host`);
    for (const h of heis) {
      console.log(`\n${h.hei}: manifest ${h.manifestUrl}`);
      console.log(`  client key ${h.clientKey.keyId} (${h.clientKey.bits} bits${h.created ? ', new' : ''})`);
      console.log('  manifest entries:');
      console.log(`    <client-credentials-in-use><rsa-public-key>${h.clientKey.spki}</rsa-public-key></client-credentials-in-use>`);
      console.log(`    <server-credentials-in-use><rsa-public-key>${server.key.spkiBase64}</rsa-public-key></server-credentials-in-use>`);
    }
    console.log('\nThe hub serves these manifests itself; register each manifest URL with the EWP registry (dev network first).');
  } catch (e) {
    fail(e);
  }
}
