import { Injectable } from '@nestjs/common';
import { SYSTEM_STREAM, type EventEnvelope, type EventPayloads } from '@taskdash/contract';
import { EventPublisher, type PublishOptions } from '../events/event-publisher.service';

/**
 * Health snapshots and alert notices, all on the `system` stream, which only admins and
 * operators may subscribe to (UserChannelsService). Each resolves once the event is stored.
 * Alert notices take the transaction that changed the alert's row (`{ tx }`), so the
 * history and the stream commit together.
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

  alertFiring(
    payload: EventPayloads['system.alert_firing'],
    options?: PublishOptions,
  ): Promise<EventEnvelope<'system.alert_firing'>> {
    return this.publisher.publish({ stream: SYSTEM_STREAM, type: 'system.alert_firing', payload }, options);
  }

  alertResolved(
    payload: EventPayloads['system.alert_resolved'],
    options?: PublishOptions,
  ): Promise<EventEnvelope<'system.alert_resolved'>> {
    return this.publisher.publish({ stream: SYSTEM_STREAM, type: 'system.alert_resolved', payload }, options);
  }

  alertAcknowledged(
    payload: EventPayloads['system.alert_acknowledged'],
    options?: PublishOptions,
  ): Promise<EventEnvelope<'system.alert_acknowledged'>> {
    return this.publisher.publish(
      { stream: SYSTEM_STREAM, type: 'system.alert_acknowledged', payload },
      options,
    );
  }
}
