import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER_SCRIPT = fileURLToPath(new URL('../server.js', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const ANSWER_TIMEOUT_MS = 120_000;

/** A bench server in its own process, talked to over IPC. Always `stop()` it, also on failure. */
export class ServerProcess {
  /**
   * `wrapper` runs Node under another program (`['valgrind', ...its options]`), which must pass the IPC
   * descriptor and environment through; such a server starts slowly, hence `startTimeoutMs`.
   */
  static async start(
    setup,
    { flags = [], nodeOptions = [], wrapper = [], startTimeoutMs = START_TIMEOUT_MS } = {},
  ) {
    const [execPath = process.execPath, ...wrapperArgs] = wrapper;
    const child = fork(SERVER_SCRIPT, [setup, ...flags], {
      execPath,
      execArgv: [
        ...wrapperArgs,
        ...(wrapper.length ? [process.execPath] : []),
        '--expose-gc',
        ...nodeOptions,
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const server = new ServerProcess(setup, child);
    try {
      const ready = await server.awaitMessage(
        (message) => message.type === 'ready',
        startTimeoutMs,
      );
      server.port = ready.port;
      server.baselinePort = ready.baselinePort;
      return server;
    } catch (error) {
      server.kill();
      throw error;
    }
  }

  constructor(setup, child) {
    this.setup = setup;
    this.child = child;
    this.nextId = 1;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
  }

  get pid() {
    return this.child.pid;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  awaitMessage(matches, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`${this.setup} server did not answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onMessage = (message) => {
        if (matches(message)) finish(undefined, message);
      };
      const onExit = (code) => finish(new Error(`${this.setup} server exited with code ${code}`));
      const finish = (error, message) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (error) reject(error);
        else resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  async ask(type, args = {}) {
    const id = this.nextId++;
    const answer = this.awaitMessage((message) => message.id === id, ANSWER_TIMEOUT_MS);
    this.child.send({ id, type, ...args });
    const { result, error } = await answer;
    if (error) throw new Error(`${this.setup} server failed "${type}": ${error}`);
    return result;
  }

  /** Asks the server to close its app, and kills it by pid if it does not exit soon after. */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const stopping = this.ask('stop').catch(() => undefined);
    const exitedInTime = await Promise.race([
      this.exited.then(() => true),
      new Promise((resolve) => setTimeout(resolve, 10_000, false)),
    ]);
    await Promise.race([stopping, Promise.resolve()]);
    if (!exitedInTime) this.kill();
  }

  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
