export { NoMetrics, isExcludedFromMetrics } from './no-metrics.decorator.js';
export { TrackAuthEvent } from './track-auth-event.decorator.js';
export { TrackBackgroundTask } from './track-background-task.decorator.js';
export { TrackCache, type TrackCacheOptions } from './track-cache.decorator.js';
export { TrackDbOperation } from './track-db-operation.decorator.js';
export { TrackExternalCall } from './track-external-call.decorator.js';
