/** DI tokens for values that are not classes (STYLE.md habit 2). */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const REDIS = Symbol('REDIS');
/** All of the app's Redis connections (`RedisConnections`), or undefined without Redis. */
export const REDIS_CONNECTIONS = Symbol('REDIS_CONNECTIONS');
