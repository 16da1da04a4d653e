import { Module } from '@nestjs/common';
import { TaskAccessService } from './task-access.service';

/** The task visibility rule, shared by the task API and the socket channels. */
@Module({ providers: [TaskAccessService], exports: [TaskAccessService] })
export class TaskAccessModule {}
