/**
 * What the per-package internals files share (`exceptions/nest-exceptions-handler.hook.ts` and
 * `transports/<transport>/nest-<package>-internals.ts`): finding a class's methods where a Nest package
 * kept them, and saying exactly which one moved when they are not.
 */
/**
 * Thrown when Nest no longer has an internal the library relies on; its message names it, so a Nest
 * upgrade that moves it fails the internals' specs with a message that says what to look for.
 */
export class NestInternalMovedError extends Error {
  override readonly name = 'NestInternalMovedError';
}

const MISSING_MODULE_CODES = new Set<unknown>([
  'ERR_MODULE_NOT_FOUND',
  'MODULE_NOT_FOUND',
  'ERR_PACKAGE_PATH_NOT_EXPORTED',
]);

/** A method the library wraps: its class, its name and how many parameters Nest declares for it. */
export interface NestInternalMethod {
  readonly module: string;
  readonly className: string;
  readonly method: string;
  /**
   * Its `length` as Nest declares it (parameters before the first default): the wrappers read
   * arguments by position, so a changed signature counts as moved too.
   */
  readonly arity: number;
}

/** `Server.prototype.addHandler(4) (@nestjs/microservices/server/server.js)`, for messages. */
export function describeInternal({ module, className, method, arity }: NestInternalMethod): string {
  return `${className}.prototype.${method}(${arity}) (${module})`;
}

/**
 * The prototype that holds every method of `internals`, all of one class of one module.
 * @throws NestInternalMovedError naming the first internal that is not where it was.
 */
export async function locatePrototype<T extends object>(
  internals: readonly NestInternalMethod[],
): Promise<T> {
  const { module, className } = internals[0];
  let exports: Record<string, unknown>;
  try {
    exports = (await import(module)) as Record<string, unknown>;
  } catch (error) {
    // Only a module that is not where it was has moved; any other failure is no upgrade's doing.
    if (!MISSING_MODULE_CODES.has((error as { code?: unknown }).code)) throw error;
    throw new NestInternalMovedError(
      `Nest internal ${module} cannot be imported: ${String(error)}`,
    );
  }
  const type = exports[className];
  const prototype = (typeof type === 'function' ? type.prototype : {}) as Record<string, unknown>;
  for (const internal of internals) {
    const method = prototype[internal.method];
    if (typeof method !== 'function' || method.length !== internal.arity) {
      throw new NestInternalMovedError(
        `Nest internal ${describeInternal(internal)} is no longer there`,
      );
    }
  }
  return prototype as T;
}

/**
 * Gives each wrapper now on `owner` the `length` of the method it wraps, named by `originals`: locating
 * the internals again (another app in the process, another copy of the library) then finds the methods
 * as Nest declared them, and not as moved.
 */
export function keepSignatures(owner: object, originals: Record<string, unknown>): void {
  for (const [name, original] of Object.entries(originals)) {
    const wrapper: unknown = Reflect.get(owner, name);
    if (typeof wrapper !== 'function' || typeof original !== 'function') continue;
    Object.defineProperty(wrapper, 'length', { value: original.length });
  }
}
