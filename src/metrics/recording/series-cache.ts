/**
 * prom-client hashes the label object on every `inc({...})`; looking the child up once per label set
 * and keeping it turns that into one Map lookup on the hot path. At most `capacity` children are kept,
 * so label values that keep changing cannot grow it without bound; past that, each call asks `create`
 * again, and the cardinality guard behind it decides whether the label set is recorded.
 */
export class SeriesCache<Child> {
  private readonly children = new Map<string, Child>();

  constructor(
    private readonly create: (labelValues: readonly string[]) => Child,
    private readonly capacity = Number.POSITIVE_INFINITY,
  ) {}

  get(...labelValues: string[]): Child {
    const key = labelValues.length === 1 ? labelValues[0] : labelValues.join('\u0000');
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.create(labelValues);
      if (this.children.size < this.capacity) this.children.set(key, child);
    }
    return child;
  }
}
