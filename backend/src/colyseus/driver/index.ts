export { NatsDriver, type NatsDriverOptions, type NatsDriverStats } from './nats-driver.ts';
