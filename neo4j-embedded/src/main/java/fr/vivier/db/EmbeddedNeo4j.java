package fr.vivier.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Runs Neo4j Community embedded in this JVM, reachable over Bolt on loopback only.
 *
 * <p>Usage: {@code java @jvm.options -cp ... fr.vivier.db.EmbeddedNeo4j HOME_DIR PLUGIN_DIR PORT [EXTRA.properties]}
 *
 * <p>Settings live in {@code neo4j.properties} (packaged with this class); an optional extra
 * properties file overrides them (e.g. memory sizes). Prints {@value #READY} once Bolt accepts
 * connections, and shuts the database down cleanly on SIGTERM / SIGINT.
 */
public final class EmbeddedNeo4j {
    static final String READY = "VIVIER-NEO4J READY";

    private EmbeddedNeo4j() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: EmbeddedNeo4j HOME_DIR PLUGIN_DIR PORT [EXTRA.properties]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path plugins = Path.of(args[1]).toAbsolutePath();
        int port = Integer.parseInt(args[2]);
        Files.createDirectories(home);

        Properties config = loadSettings(args.length > 3 ? Path.of(args[3]) : null);
        config.setProperty("server.bolt.listen_address", "127.0.0.1:" + port);
        config.setProperty("server.directories.plugins", plugins.toString());
        // The embedded builder takes raw settings only from a file: write the effective one, for the record too.
        Path effective = home.resolve("neo4j.conf");
        try (Writer out = Files.newBufferedWriter(effective)) {
            config.store(out, "effective settings, written by EmbeddedNeo4j at start");
        }

        DatabaseManagementService service =
                new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(effective).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("VIVIER-NEO4J stopping");
            service.shutdown();
            stopped.countDown();
        }, "vivier-neo4j-shutdown"));

        waitForBolt(port, 120_000);
        System.out.println(READY + " bolt://127.0.0.1:" + port);
        System.out.flush();
        stopped.await();
    }

    private static Properties loadSettings(Path extra) throws IOException {
        Properties props = new Properties();
        try (InputStream in = EmbeddedNeo4j.class.getResourceAsStream("/neo4j.properties")) {
            props.load(in);
        }
        if (extra != null) {
            try (InputStream in = Files.newInputStream(extra)) {
                props.load(in);
            }
        }
        return props;
    }

    /** The builder returns before the Bolt server accepts sockets; poll until it does. */
    private static void waitForBolt(int port, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("Bolt did not open on port " + port);
    }
}
