import { Module } from '@nestjs/common';
import { DashboardConfigurableModule } from './dashboard.module-definition';

/**
 * What the dashboard needs from the backend beyond the API: in development, a way to mint
 * a sign-in token. (The built page itself is served by `serveDashboard` in app.factory.ts.)
 * Import it with `DashboardModule.register({ devTokens })`.
 */
@Module({})
export class DashboardModule extends DashboardConfigurableModule {}
