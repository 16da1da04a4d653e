import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ExecutionsModuleOptions } from './executions-options.types';

export const {
  ConfigurableModuleClass: ExecutionsConfigurableModule,
  MODULE_OPTIONS_TOKEN: EXECUTIONS_OPTIONS,
} = new ConfigurableModuleBuilder<ExecutionsModuleOptions>().setClassMethodName('register').build();
