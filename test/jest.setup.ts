import { Logger } from '@nestjs/common';

// Services log through Nest's static Logger; outside an app (unit tests) keep only errors.
// A test app installs its own logger, which captures everything into `TestApp.logs`.
Logger.overrideLogger(['error', 'fatal']);
