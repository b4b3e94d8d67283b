import { describe, expect, it } from '@jest/globals';
import { parse } from 'graphql';
import { Registry } from 'prom-client';
import { InstrumentationErrors } from '../../recording/instrumentation-errors.js';
import {
  ANONYMOUS_OPERATION,
  createGraphqlMetricSet,
  INVALID_OPERATION,
} from './graphql-metrics.js';
import {
  GraphqlOperationRecorder,
  MAX_OPERATION_NAME_LENGTH,
  operationLabels,
} from './graphql-operation-recorder.js';

const document = (source: string) => parse(source);

describe('operationLabels', () => {
  it('takes the operation Apollo resolved', () => {
    const [operation] = document('mutation Save { save }').definitions as never[];
    expect(operationLabels({ operation })).toEqual(['mutation', 'Save']);
  });

  it('selects the operation from the document when validation stopped Apollo first', () => {
    const parsed = document('query A { a } mutation B { b }');
    expect(operationLabels({ document: parsed, request: { operationName: 'B' } })).toEqual([
      'mutation',
      'B',
    ]);
    expect(operationLabels({ document: document('{ a }') })).toEqual([
      'query',
      ANONYMOUS_OPERATION,
    ]);
  });

  it('is <invalid> without a document, or when the document does not pick one operation', () => {
    const invalid = [INVALID_OPERATION, INVALID_OPERATION];
    expect(operationLabels({})).toEqual(invalid);
    expect(operationLabels({ document: document('query A { a } query B { b }') })).toEqual(invalid);
    expect(
      operationLabels({ document: document('query A { a }'), request: { operationName: 'Z' } }),
    ).toEqual(invalid);
    expect(operationLabels({ document: document('fragment F on Q { a }') })).toEqual(invalid);
  });

  it('cuts names longer than the limit and marks the cut', () => {
    const exact = `Q${'x'.repeat(MAX_OPERATION_NAME_LENGTH - 1)}`;
    expect(operationLabels({ document: document(`query ${exact} { a }`) })).toEqual([
      'query',
      exact,
    ]);
    expect(operationLabels({ document: document(`query ${exact}y { a }`) })).toEqual([
      'query',
      `${exact}…`,
    ]);
  });
});

describe('GraphqlOperationRecorder.plugin', () => {
  /** The hooks Apollo finds on one operation's listener. */
  function listenerHooks(timeResolvers: boolean): string[] {
    const metrics = createGraphqlMetricSet(new Registry(), '', [0.1, 1], timeResolvers);
    const recorder = new GraphqlOperationRecorder(metrics, 100, new InstrumentationErrors());
    const listener = recorder.plugin().requestDidStart();
    const hooks: string[] = [];
    for (
      let object = listener;
      object !== Object.prototype;
      object = Object.getPrototypeOf(object)
    ) {
      for (const name of Object.getOwnPropertyNames(object)) {
        const value = (object as Record<string, unknown>)[name];
        if (name !== 'constructor' && typeof value === 'function') hooks.push(name);
      }
    }
    return hooks.sort();
  }

  it('asks Apollo for the end of each operation only, with no per-field hook, unless resolvers are timed', () => {
    expect(listenerHooks(false)).toEqual(['willSendResponse']);
    expect(listenerHooks(true)).toEqual(['executionDidStart', 'willSendResponse']);
  });
});
