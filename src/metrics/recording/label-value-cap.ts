/** Label value of everything past a label's cap or outside its allowlist. */
export const OTHER_LABEL_VALUE = '<other>';

/** Label value of a request-derived value that is not a short printable string. */
export const INVALID_LABEL_VALUE = '<invalid>';

/**
 * Bounds the values one label can take: the values of the allowlist when there is one, otherwise the
 * first `limit` distinct values seen; everything else becomes {@link OTHER_LABEL_VALUE}. Values that are
 * not admitted are never stored, so however many a client invents, memory and series stay bounded.
 */
export class LabelValueCap {
  private readonly admitted = new Set<string>();

  /**
   * @param limit most distinct values admitted when there is no allowlist.
   * @param allowlist the only values admitted, when given; `limit` does not apply then.
   */
  constructor(
    private readonly limit: number,
    private readonly allowlist?: ReadonlySet<string>,
  ) {}

  /** `value` itself when admitted, else {@link OTHER_LABEL_VALUE}. */
  label(value: string): string {
    if (this.allowlist) return this.allowlist.has(value) ? value : OTHER_LABEL_VALUE;
    if (this.admitted.has(value)) return value;
    if (this.admitted.size >= this.limit) return OTHER_LABEL_VALUE;
    this.admitted.add(value);
    return value;
  }
}

/**
 * `value` when it has at most `maxLength` characters, else its first `maxLength` marked with a trailing
 * `…`. The cut never splits a surrogate pair, so the label stays valid UTF-8 in the exposition.
 */
export function cutLabelValue(value: string, maxLength: number): string {
  if (value.length <= maxLength) return value;
  const last = value.charCodeAt(maxLength - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? maxLength - 1 : maxLength;
  return `${value.slice(0, end)}…`;
}
