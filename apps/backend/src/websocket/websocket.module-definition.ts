import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { WebsocketModuleOptions } from './websocket-options.types';

export const {
  ConfigurableModuleClass: WebsocketConfigurableModule,
  MODULE_OPTIONS_TOKEN: WEBSOCKET_OPTIONS,
} = new ConfigurableModuleBuilder<WebsocketModuleOptions>()
  .setClassMethodName('forRoot')
  // Global by default so any backend module can inject the event services by class.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
