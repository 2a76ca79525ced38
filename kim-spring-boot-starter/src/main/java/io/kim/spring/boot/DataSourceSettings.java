package io.kim.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.AbstractDriverBasedDataSource;
import org.springframework.util.ClassUtils;

/**
 * The JDBC URL, user, password and schema of the application's {@link DataSource}, for opening kim's own pool on the
 * same database: a HikariCP pool (Spring Boot's default) or one of Spring's driver-based data sources tells them.
 */
record DataSourceSettings(String url, String user, String password, String schema) {

    private static final boolean SPRING_JDBC = ClassUtils.isPresent(
            "org.springframework.jdbc.datasource.AbstractDriverBasedDataSource",
            DataSourceSettings.class.getClassLoader());

    /**
     * @throws KimConfigurationException if {@code dataSource} does not tell its URL
     */
    static DataSourceSettings of(DataSource dataSource) {
        DataSourceSettings settings = null;
        try {
            if (dataSource instanceof HikariDataSource h) {
                settings = new DataSourceSettings(h.getJdbcUrl(), h.getUsername(), h.getPassword(), h.getSchema());
            } else if (dataSource.isWrapperFor(HikariDataSource.class)) {
                HikariDataSource h = dataSource.unwrap(HikariDataSource.class);
                settings = new DataSourceSettings(h.getJdbcUrl(), h.getUsername(), h.getPassword(), h.getSchema());
            } else if (SPRING_JDBC) {
                settings = SpringJdbc.of(dataSource);
            }
        } catch (SQLException e) {
            settings = null;
        }
        if (settings == null || settings.url() == null || settings.url().isBlank()) {
            throw new KimConfigurationException("kim.store.type=jdbc opens kim's stores on the database of the "
                    + "application's DataSource, and a " + dataSource.getClass().getName()
                    + " does not tell its JDBC URL.",
                    "Use Spring Boot's DataSource (HikariCP, spring.datasource.url), or declare "
                            + "io.kim.spi.MessageStore and io.kim.spi.GroupStore beans built with "
                            + "io.kim.store.jdbc.JdbcStores.builder().url(...).");
        }
        return settings;
    }

    /** Kept apart so that this class loads without spring-jdbc. */
    private static final class SpringJdbc {

        static DataSourceSettings of(DataSource dataSource) throws SQLException {
            if (!dataSource.isWrapperFor(AbstractDriverBasedDataSource.class)) {
                return null;
            }
            AbstractDriverBasedDataSource d = dataSource.unwrap(AbstractDriverBasedDataSource.class);
            return new DataSourceSettings(d.getUrl(), d.getUsername(), d.getPassword(), d.getSchema());
        }
    }

    @Override
    public String toString() { // never the password
        return "DataSourceSettings[" + (url == null ? null : url.split("\\?", 2)[0]) + ", user=" + user
                + ", schema=" + schema + ']';
    }
}
