import { fail, loadConfig, runtime } from '../runtime.ts';

/** `hub config check [file]`: validates a config file and lists every error with its path. */
export function configCheckCommand(file: string | undefined): void {
  try {
    const rt = runtime();
    const cfg = loadConfig(rt, file ?? rt.env.configFile);
    console.log(`config OK: ${cfg.institutions.length} institutions, ${cfg.sources.length} sources, ${cfg.sinks.length} sinks, ${cfg.routes.length} routes`);
  } catch (e) {
    fail(e);
  }
}
