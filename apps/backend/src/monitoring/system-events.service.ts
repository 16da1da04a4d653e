import { Injectable } from '@nestjs/common';
import { SYSTEM_STREAM, type EventEnvelope, type EventPayloads } from '@taskdash/contract';
import { EventPublisher } from '../events/event-publisher.service';

/**
 * Health snapshots and alert notices, all on the `system` stream, which only admins and
 * operators may subscribe to (UserChannelsService). Each resolves once the event is stored.
 *
 * @example
 * constructor(private readonly systemEvents: SystemEventsService) {}
 * await this.systemEvents.alertAcknowledged({ alertId, fingerprint, alertname, acknowledgedBy, acknowledgedAt });
 */
@Injectable()
export class SystemEventsService {
  constructor(private readonly publisher: EventPublisher) {}

  health(payload: EventPayloads['system.health']): Promise<EventEnvelope<'system.health'>> {
    return this.publisher.publish({ stream: SYSTEM_STREAM, type: 'system.health', payload });
  }

  alertFiring(payload: EventPayloads['system.alert_firing']): Promise<EventEnvelope<'system.alert_firing'>> {
    return this.publisher.publish({ stream: SYSTEM_STREAM, type: 'system.alert_firing', payload });
  }

  alertResolved(
    payload: EventPayloads['system.alert_resolved'],
  ): Promise<EventEnvelope<'system.alert_resolved'>> {
    return this.publisher.publish({ stream: SYSTEM_STREAM, type: 'system.alert_resolved', payload });
  }

  alertAcknowledged(
    payload: EventPayloads['system.alert_acknowledged'],
  ): Promise<EventEnvelope<'system.alert_acknowledged'>> {
    return this.publisher.publish({ stream: SYSTEM_STREAM, type: 'system.alert_acknowledged', payload });
  }
}
