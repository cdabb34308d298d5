import { relative } from 'node:path';
import { demoConfig } from '../../config/demo.ts';
import { catalogOf } from '../../nodered/bridge.ts';
import { checkFlow, type FlowProblem } from '../../nodered/check.ts';
import { exampleFlowFiles, readFlowFile } from '../../nodered/examples.ts';
import { fail, loadConfig, runtime } from '../runtime.ts';

/**
 * `hub flows check [file]`: checks a flow file (default: the example flows, flows/*.json) against
 * a configuration (--config, HUB_CONFIG, else the demo's): every hub node refers to an existing
 * source, schema or mapping set, and the file holds no secrets. Exit 1 with every problem.
 */
export function flowsCheckCommand(file: string | undefined, opts: { config?: string; json?: boolean }): void {
  let problems: (FlowProblem & { file: string })[];
  let files: string[];
  let against: string;
  try {
    const rt = runtime();
    const configFile = opts.config ?? rt.env.configFile;
    // The demo's simulators are not needed to check against its configuration.
    const config = loadConfig(rt, configFile, demoConfig('http://127.0.0.1:1/webhook', { laisUrl: 'http://127.0.0.1:1', isisUrl: 'http://127.0.0.1:1/isis' }));
    against = configFile ?? 'the demo configuration';
    const catalog = catalogOf(config, rt.schemas, rt.mappings);
    files = file ? [file] : exampleFlowFiles();
    problems = files.flatMap((f) => {
      const name = relative(process.cwd(), f) || f;
      let flow: unknown;
      try {
        flow = readFlowFile(f);
      } catch (e) {
        return [{ file: name, node: '-', path: '', message: (e as Error).message }];
      }
      return checkFlow(flow, catalog).map((p) => ({ file: name, ...p }));
    });
  } catch (e) {
    fail(e);
  }
  if (opts.json) console.log(JSON.stringify({ files, against, problems }, null, 2));
  else if (problems.length === 0) console.log(`flows OK: ${files.length} file${files.length === 1 ? '' : 's'} checked against ${against}`);
  else {
    for (const p of problems) console.log(`${p.file}: ${p.node}: ${p.path}: ${p.message}`);
    console.log(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${new Set(problems.map((p) => p.file)).size} of ${files.length} files (checked against ${against})`);
  }
  process.exitCode = problems.length ? 1 : 0;
}
