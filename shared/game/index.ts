export * from './names.ts';
export * from './prediction.ts';
export * from './protocol.ts';
export * from './rules.ts';
export * from './token-bucket.ts';
