export * from './protocol.ts';
export * from './rules.ts';
