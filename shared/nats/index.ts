export * from './client-auth.ts';
export * from './local-credentials.ts';
export * from './nsc.ts';
export * from './roles.ts';
export * from './server-bin.ts';
export * from './server-config.ts';
export * from './subjects.ts';
