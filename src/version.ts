/** pipewright's version: a leaf module, so any stage can name it without importing the CLI. */
export const VERSION = '0.1.0';
