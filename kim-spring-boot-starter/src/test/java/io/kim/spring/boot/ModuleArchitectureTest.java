package io.kim.spring.boot;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The architecture rules of kim-testing's {@code ArchitectureTest}, for the modules on top that kim-testing does
 * not see: kim-store-jdbc, kim-cluster-redis and this starter (all on this module's class path). No public API
 * mentions an {@code internal} type, dependencies point one way, and Spring stays in the starter.
 */
class ModuleArchitectureTest {

    private static JavaClasses kim;

    @BeforeAll
    static void importClasses() {
        kim = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.kim");
    }

    @Test
    void importsTheModulesOnTop() {
        for (String name : new String[] {"io.kim.store.jdbc.JdbcStores", "io.kim.store.jdbc.internal.Db",
                "io.kim.cluster.redis.RedisCluster", "io.kim.cluster.redis.internal.Keys",
                "io.kim.spring.boot.KimAutoConfiguration", "io.kim.server.ImServer"}) {
            assertThat(kim.contain(name)).as(name).isTrue();
        }
        assertThat(kim.contain(ModuleArchitectureTest.class.getName())).as("tests are not imported").isFalse();
    }

    @Test
    void publicApiOfTheModulesOnTop_mentionsNoInternalType() {
        classes().that().arePublic().and().resideOutsideOfPackage("..internal..")
                .and().resideInAnyPackage("io.kim.store.jdbc..", "io.kim.cluster.redis..", "io.kim.spring.boot..")
                .should(exposeNoInternalType())
                .check(kim);
    }

    @Test
    void springStaysInTheStarter() {
        noClasses().that().resideOutsideOfPackage("io.kim.spring.boot..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "io.kim.spring..")
                .check(kim);
    }

    @Test
    void theStarter_usesNoInternalPackageOfAnotherModule() {
        noClasses().that().resideInAPackage("io.kim.spring.boot..")
                .should().dependOnClassesThat().resideInAPackage("..internal..")
                .check(kim);
    }

    @Test
    void kimStoreJdbc_dependsOnTheSpiAndTheServersEmbeddedPartsOnly() {
        noClasses().that().resideInAPackage("io.kim.store.jdbc..")
                .should().dependOnClassesThat().resideInAnyPackage("io.kim.net..", "io.kim.protocol..",
                        "io.kim.transport..", "io.kim.server..", "io.kim.client..", "io.kim.cluster..",
                        "io.kim.testing..")
                .check(kim);
    }

    @Test
    void kimClusterRedis_dependsOnTheSpiOnly() {
        noClasses().that().resideInAPackage("io.kim.cluster.redis..")
                .should().dependOnClassesThat().resideInAnyPackage("io.kim.net..", "io.kim.protocol..",
                        "io.kim.transport..", "io.kim.server..", "io.kim.embedded..", "io.kim.filter..",
                        "io.kim.client..", "io.kim.store..", "io.kim.testing..")
                .check(kim);
    }

    @Test
    void noModuleBelow_dependsOnTheStoresOrTheCluster() {
        noClasses().that().resideOutsideOfPackages("io.kim.store.jdbc..", "io.kim.cluster.redis..",
                        "io.kim.spring.boot..")
                .should().dependOnClassesThat().resideInAnyPackage("io.kim.store.jdbc..", "io.kim.cluster.redis..")
                .check(kim);
    }

    /** As kim-testing's rule: members, supertypes and thrown types of a public class name no internal type. */
    private static ArchCondition<JavaClass> exposeNoInternalType() {
        return new ArchCondition<>("expose no type of an internal package in its public API") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                c.getRawInterfaces().forEach(s -> report(c, "implements", Set.of(s), events));
                c.getRawSuperclass().ifPresent(s -> report(c, "extends", Set.of(s), events));
                for (JavaMember m : c.getMembers()) {
                    if (!m.getModifiers().contains(JavaModifier.PUBLIC)
                            && !m.getModifiers().contains(JavaModifier.PROTECTED)) {
                        continue;
                    }
                    Set<JavaClass> mentioned = new LinkedHashSet<>();
                    if (m instanceof JavaField f) {
                        mentioned.addAll(f.getType().getAllInvolvedRawTypes());
                    } else if (m instanceof JavaCodeUnit u) {
                        mentioned.addAll(u.getReturnType().getAllInvolvedRawTypes());
                        u.getParameterTypes().forEach(t -> mentioned.addAll(t.getAllInvolvedRawTypes()));
                        mentioned.addAll(u.getExceptionTypes());
                    }
                    report(c, m.getFullName(), mentioned, events);
                }
            }

            private void report(JavaClass c, String where, Set<JavaClass> mentioned, ConditionEvents events) {
                for (JavaClass t : mentioned) {
                    if (t.getPackageName().contains(".internal")) {
                        events.add(SimpleConditionEvent.violated(c, where + " exposes " + t.getName()));
                    }
                }
            }
        };
    }
}
