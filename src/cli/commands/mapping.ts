import { MappingEngine } from '../../mapping/engine.ts';
import { formatReport, runGolden } from '../../mapping/golden.ts';
import { SchemaRegistry } from '../../schemas/registry.ts';

/** `hub mapping test [path]`: runs golden tests; exit code 1 when any fails or a mapping has none. */
export async function mappingTestCommand(path: string | undefined): Promise<number> {
  const report = await runGolden(new SchemaRegistry(), new MappingEngine(), path);
  console.log(formatReport(report, process.stdout.isTTY));
  return report.failed > 0 || report.untested.length > 0 ? 1 : 0;
}
