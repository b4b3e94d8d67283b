import { MessageBody, SubscribeMessage, WebSocketGateway, WsException } from '@nestjs/websockets';

/**
 * The demo's socket.io gateway on the HTTP port: `websocket_connections{gateway="ChatGateway"}` and
 * `websocket_messages_total{gateway="ChatGateway", event, status}`.
 */
@WebSocketGateway()
export class ChatGateway {
  @SubscribeMessage('chat')
  chat(@MessageBody() text: unknown): { event: string; data: string } {
    if (typeof text !== 'string' || text.length === 0) throw new WsException('empty message');
    return { event: 'chat', data: text };
  }
}
