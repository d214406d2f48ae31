import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

export interface EventBusProps {
  /** Bus name, unique in the account and region (the stack uses `copr-<stage>`). */
  readonly busName: string;
}

/**
 * The custom EventBridge bus that carries Copr's notifications (`source` = `copr`,
 * `detail-type` = event type; docs/events.md). The stack adds no rules: listeners
 * (mail, chat, CI) add their own. Functions that emit get the name and
 * `events:PutEvents` on this bus through `CoprFunction.bindEventBus`.
 */
export class EventBus extends Construct {
  public readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: EventBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: props.busName,
      description: 'Copr notifications: build and project events (docs/events.md)',
    });
  }
}
