// Summarises a V8 CPU profile (node --cpu-prof, or `npm run bench -- --profile`):
// `node --import tsx bench/profile.ts <file.cpuprofile[.json]> [top]`.
import { formatProfile, summariseProfile } from './lib/profile.ts';

const args = process.argv.slice(2);
const top = args.length > 1 && /^\d+$/.test(args[args.length - 1]!) ? Number(args.pop()) : 20;
const file = args[0];
if (!file) {
  console.error('usage: node --import tsx bench/profile.ts <file.cpuprofile> [top]');
  process.exit(2);
}
console.log(formatProfile(summariseProfile(file, top)));
