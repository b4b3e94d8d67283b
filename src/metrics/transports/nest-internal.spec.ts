import { describe, expect, it } from '@jest/globals';
import { NestInternalMovedError, locatePrototype } from './nest-internal.js';
import { installTransport } from './install-transports.js';
import { RecordingLogger } from '../../../test/support/recording-logger.js';

const MODULE = '@nestjs/microservices/server/server.js';

describe('locatePrototype', () => {
  it('names the method that moved, with its class, arity and module', async () => {
    const moved = { module: MODULE, className: 'Server', method: 'noSuchMethod', arity: 1 };
    await expect(locatePrototype([moved])).rejects.toThrow(
      new NestInternalMovedError(
        `Nest internal Server.prototype.noSuchMethod(1) (${MODULE}) is no longer there`,
      ),
    );
  });

  it('counts a changed signature as moved', async () => {
    const changed = {
      module: MODULE,
      className: 'Server',
      method: 'getHandlerByPattern',
      arity: 2,
    };
    await expect(locatePrototype([changed])).rejects.toThrow(
      `Nest internal Server.prototype.getHandlerByPattern(2) (${MODULE}) is no longer there`,
    );
  });

  it('names a module that cannot be imported', async () => {
    const gone = { module: '@nestjs/no-such-package', className: 'X', method: 'x', arity: 0 };
    await expect(locatePrototype([gone])).rejects.toThrow(
      /^Nest internal @nestjs\/no-such-package cannot be imported: /,
    );
  });
});

describe('installTransport', () => {
  it('says once that a transport whose internal moved is off, and lets the app go on', async () => {
    const logger = new RecordingLogger();
    const moved = async () => {
      throw new NestInternalMovedError(
        'Nest internal Test.prototype.gone(1) (test) is no longer there',
      );
    };
    await expect(installTransport('test-transport', moved, logger as never)).resolves.toBe(false);
    await expect(installTransport('test-transport', moved, logger as never)).resolves.toBe(false);
    expect(logger.errors).toEqual([
      'The test-transport metrics are off; the app is unaffected. ' +
        'Nest internal Test.prototype.gone(1) (test) is no longer there',
    ]);
    await expect(
      installTransport('fine-transport', async () => undefined, logger as never),
    ).resolves.toBe(true);
    expect(logger.errors).toHaveLength(1);
  });

  it('throws any other failure, as it was', async () => {
    const logger = new RecordingLogger();
    const broken = new TypeError('a bug of its own');
    const failing = async () => {
      throw broken;
    };
    await expect(installTransport('other-transport', failing, logger as never)).rejects.toBe(
      broken,
    );
    expect(logger.errors).toEqual([]);
  });
});
