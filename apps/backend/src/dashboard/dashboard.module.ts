import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { DevTokenController } from './dev-token.controller';

/** Options of `DashboardModule.register`. */
export interface DashboardModuleOptions {
  /** Whether `POST /dev/token` exists. @default false (true whenever NODE_ENV is not production) */
  devTokens: boolean;
}

/**
 * What the dashboard needs from the backend beyond the API: in development, a way to mint
 * a sign-in token. (The built page itself is served by `serveDashboard` in app.factory.ts.)
 */
@Module({})
export class DashboardModule {
  static register(options: DashboardModuleOptions): DynamicModule {
    if (options.devTokens) {
      new Logger(DashboardModule.name).warn('POST /dev/token is on: anyone who reaches this port can mint a token (NODE_ENV is not production)');
    }
    return { module: DashboardModule, controllers: options.devTokens ? [DevTokenController] : [] };
  }
}
