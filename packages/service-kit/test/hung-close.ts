// A process whose shutdown never finishes, for lifecycle.unit.test.ts.
import { onShutdown } from '../src/lifecycle.ts';

onShutdown(() => new Promise<void>(() => undefined), { deadlineMs: Number(process.env.DEADLINE_MS), log: (m) => console.log(m) });
console.log('ready');
setInterval(() => undefined, 1_000); // keeps the process alive, as a server would
