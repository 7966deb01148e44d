import type { Logger } from 'pino';

/**
 * One failing promise in one room must not take every other player on this node down with it: log unhandled
 * rejections instead of letting Node exit. Uncaught exceptions still exit (the process state is unknown), after
 * logging, so the orchestrator restarts the node and failover brings its rooms back.
 */
export function installCrashGuards(logger: Logger): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled promise rejection');
  });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err: err.stack }, 'uncaught exception; exiting');
    process.exit(1);
  });
}
