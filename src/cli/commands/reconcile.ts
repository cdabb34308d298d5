import { adapters } from '../../../adapters/index.ts';
import { TargetPolicy } from '../../core/net/target-policy.ts';
import { compileText } from '../../mapping/engine.ts';
import { reconcile, formatReport } from '../../reconcile/reconcile.ts';
import { createStore } from '../../store/index.ts';
import type { Sink } from '../../core/adapter.ts';
import { progress } from '../progress.ts';
import { fail, loadConfig, runtime } from '../runtime.ts';

/**
 * `hub reconcile <sink> --institution <id>`: compares the hub's records with what a register sink
 * (by id, or by type: `viis`) holds, and lists the differences. Exit code 1 when there are any.
 * Opens the store and the one sink only (no broker, no workers).
 */
export async function reconcileCommand(sinkName: string, opts: { institution: string; config?: string; json?: boolean }): Promise<void> {
  try {
    const rt = runtime();
    const config = loadConfig(rt, opts.config ?? rt.env.configFile);
    const store = await createStore(rt.env);
    const sinks = new Map<string, Sink>();
    const targets = new TargetPolicy(config.webhooks?.allowTargets ?? []);
    try {
      await store.migrate();
      const sink = (id: string) => {
        if (!sinks.has(id)) {
          const conf = config.sinks.find((s) => s.id === id);
          const type = conf && adapters.sinks.find((t) => t.type === conf.type);
          if (!conf || !type) return undefined;
          sinks.set(
            id,
            type.create(conf.options ?? {}, {
              logger: rt.logger.child({ component: `sink:${id}` }),
              dataDir: rt.env.dataDir,
              secret: (n) => rt.env.env[n],
              mappingsDir: rt.mappings.dir,
              compileMapping: compileText,
              outbound: { origin: 'config', policy: targets },
            }),
          );
        }
        return sinks.get(id);
      };
      const bar = progress(`reconcile ${sinkName} ${opts.institution}`, { json: opts.json });
      let report;
      try {
        report = await reconcile({ config, sql: store.sql, sink, onProgress: (done, total) => (done === 0 ? undefined : (bar.total(total), bar.update(done))) }, sinkName, opts.institution);
      } finally {
        bar.stop();
      }
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
      process.exitCode = report.differences.length ? 1 : 0;
    } finally {
      for (const s of sinks.values()) await s.close?.();
      await store.close();
    }
  } catch (e) {
    fail(e);
  }
}
