import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { MonitoringOptions } from './monitoring-options.types';

export const {
  ConfigurableModuleClass: MonitoringConfigurableModule,
  MODULE_OPTIONS_TOKEN: MONITORING_OPTIONS,
} = new ConfigurableModuleBuilder<MonitoringOptions>()
  .setClassMethodName('forRoot')
  .build();
