// `node bench/paired-server.js <setup>...`: several setups of one platform in ONE process, for the
// paired comparison. Forked by bench/lib/paired.js, which reads this process's CPU time from /proc.
import { startApp } from './app.js';

const ports = {};
for (const setup of process.argv.slice(2)) ports[setup] = (await startApp(setup)).port;
process.send({ type: 'ready', ports });
process.on('message', (message) => {
  if (message.type === 'stop') process.exit(0);
});
