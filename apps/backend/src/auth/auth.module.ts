import { Global, Module } from '@nestjs/common';
import { APP_CONFIG } from '../app.constants';
import type { AppConfig } from '../config/app-config';
import { HttpAuthGuard } from './http-auth.guard';
import { JwtVerifierService } from './jwt-verifier.service';
import { SessionStateService } from './session-state.service';

@Global()
@Module({
  providers: [
    {
      provide: JwtVerifierService,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new JwtVerifierService(config.jwt),
    },
    SessionStateService,
    HttpAuthGuard,
  ],
  exports: [JwtVerifierService, SessionStateService, HttpAuthGuard],
})
export class AuthModule {}
