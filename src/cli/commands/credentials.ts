import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../../core/errors.ts';
import { createDevSealKeys, sealKeysFolder } from '../../credentials/keys.ts';
import { credentialKeysDir } from '../../credentials/trust.ts';
import { issueBackCatalogue, sinceDate } from '../../credentials/back-catalogue.ts';
import { Credentials } from '../../credentials/service.ts';
import { HubMetrics } from '../../observability/metrics.ts';
import { Pipeline } from '../../pipeline/pipeline.ts';
import { createStore } from '../../store/index.ts';
import { RecordReader } from '../../store/records.ts';
import { progress } from '../progress.ts';
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

/**
 * `hub credentials issue --institution lu.lv --awarded-since 1991`: credentials for the awards made before
 * the hub issued them, in batches, with a progress bar on a terminal and a summary. Resumable: run it
 * again after an interruption, nothing is issued twice. Opens the store only (no broker, no workers); the
 * notices of the credentials go into the change log, where a running hub's relay publishes them.
 */
export async function credentialsIssueCommand(opts: { config?: string; institution: string; awardedSince?: string; batch?: string; json?: boolean }): Promise<void> {
  try {
    const rt = runtime();
    const { config } = configOrDemo(rt, opts.config);
    if (!config.institutions.some((i) => i.id === opts.institution))
      throw new ConfigError(`no institution ${opts.institution} in the config (known: ${config.institutions.map((i) => i.id).join(', ')})`);
    const since = opts.awardedSince === undefined ? undefined : sinceDate(opts.awardedSince);
    if (opts.awardedSince !== undefined && !since) throw new ConfigError(`--awarded-since is a year (1991) or a date (1991-09-01), not ${opts.awardedSince}`);
    const batch = opts.batch === undefined ? 500 : Number(opts.batch);
    if (!Number.isInteger(batch) || batch < 1 || batch > 5000) throw new ConfigError(`--batch is 1–5000, not ${opts.batch}`);
    const store = await createStore(rt.env);
    try {
      await store.migrate();
      const pipeline = new Pipeline({ config, store, schemas: rt.schemas, mappings: rt.mappings, metrics: new HubMetrics(false), logger: rt.logger });
      const credentials = await Credentials.start({
        sql: store.sql,
        config,
        dataDir: rt.env.dataDir,
        logger: rt.logger.child({ component: 'credentials' }),
        defaultPublicUrl: `http://localhost:${rt.env.port}`,
        ingest: (sourceId, entity, records) => pipeline.ingest(sourceId, entity, records, 'application/json'),
        workers: false,
      });
      const bar = progress(`credentials ${opts.institution}`, { json: opts.json, unit: 'awards' });
      let summary;
      try {
        summary = await issueBackCatalogue(
          { reader: new RecordReader(store.sql), issue: (records) => credentials.issue(records) },
          {
            institution: opts.institution,
            awardedSince: since,
            batch,
            onProgress: (done, total, c) => {
              bar.total(total);
              bar.update(done, { issued: c.issued, existing: c.existing, failed: c.failed });
            },
          },
        );
      } finally {
        bar.stop();
      }
      await credentials.flushNotices();
      await credentials.stop();
      if (opts.json) console.log(JSON.stringify(summary, null, 2));
      else {
        const rate = summary.ms ? Math.round((summary.issued / summary.ms) * 1000) : 0;
        console.log(
          `${summary.institution}: ${summary.examined} awards examined in ${(summary.ms / 1000).toFixed(1)} s — ${summary.issued} credentials issued (${rate}/s), ${summary.existing} issued before, ${summary.before} awarded before ${summary.awardedSince ?? '–'}, ${summary.failed} failed`,
        );
        for (const f of summary.failures.slice(0, 10)) console.log(`  ${f.count} × ${f.reason} (e.g. award ${f.awards.join(', ')})`);
        if (summary.failed) console.log('Fix the awards (or the seal) and run the command again: what was issued stays issued, nothing is issued twice.');
      }
      process.exitCode = summary.failed ? 1 : 0;
    } finally {
      await store.close();
    }
  } catch (e) {
    fail(e);
  }
}
