import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DATABASE, PRISMA, type DatabaseHandle } from './database.types';

/** Hands the app-owned database to every module (the app opens and closes it, not Nest). */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(database: DatabaseHandle): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DATABASE, useValue: database },
        { provide: PRISMA, useValue: database.prisma },
      ],
      exports: [DATABASE, PRISMA],
    };
  }
}
