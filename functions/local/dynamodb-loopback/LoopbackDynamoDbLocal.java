import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local listening on 127.0.0.1 only. The jar's own launcher binds
 * every interface and has no option for the address, and DynamoDB Local accepts any
 * signature, so anything that reaches the port owns the data. This builds the same
 * server from the same command line, sets the address on its connectors, then starts
 * it. Run by functions/local/dynamodb-local.ts with Java's single-file source launcher.
 */
public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind");
    for (Connector c : connectors) {
      if (!(c instanceof ServerConnector)) throw new IllegalStateException("unexpected connector " + c.getClass());
      ((ServerConnector) c).setHost("127.0.0.1");
    }
    proxy.start();
    System.out.println("LoopbackDynamoDbLocal: listening on 127.0.0.1");
  }
}
