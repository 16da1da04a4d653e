import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { QueueModuleOptions } from './queue-options.types';

export const {
  ConfigurableModuleClass: QueueConfigurableModule,
  MODULE_OPTIONS_TOKEN: QUEUE_OPTIONS,
} = new ConfigurableModuleBuilder<QueueModuleOptions>().setClassMethodName('register').build();
