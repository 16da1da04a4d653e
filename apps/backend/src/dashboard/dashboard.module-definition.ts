import { ConfigurableModuleBuilder, Logger } from '@nestjs/common';
import type { DashboardModuleOptions } from './dashboard-options.types';
import { DevTokenController } from './dev-token.controller';

/**
 * Every dashboard option decides which controllers exist, so they are all extras (read when
 * the module is built, also by `registerAsync`) and the options token carries nothing.
 */
export const {
  ConfigurableModuleClass: DashboardConfigurableModule,
  MODULE_OPTIONS_TOKEN: DASHBOARD_OPTIONS,
} = new ConfigurableModuleBuilder<Record<never, never>>()
  .setClassMethodName('register')
  .setExtras<DashboardModuleOptions>({ devTokens: false }, (definition, { devTokens }) => {
    if (devTokens) {
      new Logger(definition.module.name).warn('POST /dev/token is on: anyone who reaches this port can mint a token (NODE_ENV is not production)');
    }
    return { ...definition, controllers: devTokens ? [DevTokenController] : [] };
  })
  .build();
