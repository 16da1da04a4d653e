import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EventsModuleOptions } from './events-options.types';

export const {
  ConfigurableModuleClass: EventsConfigurableModule,
  MODULE_OPTIONS_TOKEN: EVENTS_OPTIONS,
} = new ConfigurableModuleBuilder<EventsModuleOptions>()
  .setClassMethodName('forRoot')
  // Global by default: every feature's event service injects the publisher by class.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
