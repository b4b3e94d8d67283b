export {
  CLIENT_ERROR_STATUS,
  HttpClientRecorder,
  errorTypeOf,
  type HttpClientMetrics,
  type HttpClientRecorderOptions,
} from './http-client-recorder.js';
export { excludeFromClientMetrics } from './unrecorded-calls.js';
