// Start-up time of the CLI against bare Node: `node bench/startup.js [runs]`, or import { measureStartup }.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'vidhook.js');

const SCENARIOS = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'vidhook --version', args: [bin, '--version'] },
  { name: 'vidhook --help', args: [bin, '--help'] },
];

function timeOnce(args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs each scenario `runs` times, interleaved so machine noise hits them alike; ratios are against `node -e 0`. */
export function measureStartup({ runs = 20, warmup = 2 } = {}) {
  const samples = SCENARIOS.map(() => []);
  for (let i = 0; i < warmup; i++) SCENARIOS.forEach((s) => timeOnce(s.args));
  for (let i = 0; i < runs; i++) SCENARIOS.forEach((s, j) => samples[j].push(timeOnce(s.args)));
  const base = { mean: mean(samples[0]), median: median(samples[0]) };
  return SCENARIOS.map((s, j) => {
    const m = mean(samples[j]);
    const md = median(samples[j]);
    return {
      name: s.name,
      runs,
      meanMs: +m.toFixed(1),
      medianMs: +md.toFixed(1),
      meanRatio: +(m / base.mean).toFixed(2),
      medianRatio: +(md / base.median).toFixed(2),
    };
  });
}

export function formatStartup(results) {
  const lines = ['start-up (ms)           mean  median  ×node(mean)  ×node(median)'];
  for (const r of results) {
    lines.push(`${r.name.padEnd(22)} ${String(r.meanMs).padStart(6)} ${String(r.medianMs).padStart(7)} ${String(r.meanRatio).padStart(12)} ${String(r.medianRatio).padStart(14)}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const runs = Number(process.argv[2] ?? 20);
  const results = measureStartup({ runs });
  if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
  else console.log(formatStartup(results));
}
