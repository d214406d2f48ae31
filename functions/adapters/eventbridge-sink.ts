import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CoprEvent, type EventSink } from '../core/events.js';

/**
 * Notifications on AWS: one EventBridge event per Copr event on the configured
 * bus. `detail-type` is the event type (`build.finished`, ...), so rules can match
 * on it; `detail` is the whole validated event (docs/events.md).
 */
export const EVENT_SOURCE = 'copr';

export class EventBridgeSink implements EventSink {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(event: CoprEvent): Promise<void> {
    const valid = CoprEvent.parse(event);
    const res = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: EVENT_SOURCE,
            DetailType: valid.type,
            Detail: JSON.stringify(valid),
            Time: new Date(valid.time),
          },
        ],
      }),
    );
    // PutEvents answers 200 even when an entry was rejected; the count says so.
    if ((res.FailedEntryCount ?? 0) > 0) {
      const entry = res.Entries?.[0];
      throw new Error(`EventBridge rejected ${valid.type} ${valid.id}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  }
}
