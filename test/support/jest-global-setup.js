/** Jest global setup: the packages Jest's module loader cannot take as they are, rewritten for it. */
import convertToEsm from './cjs-package-as-esm.js';
import { convertPackage as convertToCjs } from './esm-package-as-cjs.js';

export default function globalSetup() {
  convertToEsm();
  convertToCjs();
}
