/**
 * prom-client hashes the label object on every `inc({...})`; looking the child up once per label set
 * and keeping it turns that into one Map lookup on the hot path.
 */
export class SeriesCache<Child> {
  private readonly children = new Map<string, Child>();

  constructor(private readonly create: (labelValues: readonly string[]) => Child) {}

  get(...labelValues: string[]): Child {
    const key = labelValues.length === 1 ? labelValues[0] : labelValues.join('\u0000');
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.create(labelValues);
      this.children.set(key, child);
    }
    return child;
  }
}
