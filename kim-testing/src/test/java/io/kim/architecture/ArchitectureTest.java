package io.kim.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The build's architecture rules over every library module on this class path (kim-spi, kim-core, both
 * transports, kim-server, kim-client, kim-testing): no public API mentions an {@code internal} type, and module
 * dependencies point one way (see the module table in the README).
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.kim");
    }

    @Test
    void importsEveryLibraryModule() {
        for (String name : new String[] {"io.kim.spi.MessageStore", "io.kim.net.Server", "io.kim.protocol.Packet",
                "io.kim.transport.tcp.TcpTransport", "io.kim.transport.ws.WebSocketTransport",
                "io.kim.server.ImServer", "io.kim.embedded.InMemoryMessageStore", "io.kim.client.ImClient",
                "io.kim.testing.RawImClient", "io.kim.net.internal.NettyIo"}) {
            org.junit.jupiter.api.Assertions.assertTrue(classes.contain(name), name + " imported");
        }
        org.junit.jupiter.api.Assertions.assertFalse(classes.contain(ArchitectureTest.class.getName()),
                "test classes are not part of the API");
    }

    @Test
    void publicApi_mentionsNoInternalType() {
        ArchRuleDefinition.classes().that().arePublic().and().resideOutsideOfPackage("..internal..")
                .should(exposeNoInternalType())
                .check(classes);
    }

    @Test
    void kimSpi_dependsOnNothingOfKimNorNetty() {
        noClasses().that().resideInAPackage("io.kim.spi..")
                .should().dependOnClassesThat(DescribedPredicate.describe("are kim classes outside io.kim.spi",
                        (JavaClass c) -> c.getPackageName().startsWith("io.kim.")
                                && !c.getPackageName().startsWith("io.kim.spi")))
                .orShould().dependOnClassesThat().resideInAPackage("io.netty..")
                .check(classes);
    }

    @Test
    void kimCore_dependsOnNoServerClientOrSpi() {
        noClasses().that().resideInAnyPackage("io.kim.net..", "io.kim.protocol..")
                .should().dependOnClassesThat().resideInAnyPackage("io.kim.server..", "io.kim.client..",
                        "io.kim.spi..", "io.kim.embedded..", "io.kim.filter..", "io.kim.transport..",
                        "io.kim.testing..")
                .check(classes);
    }

    @Test
    void kimClient_dependsOnNoServerCode() {
        noClasses().that().resideInAPackage("io.kim.client..")
                .should().dependOnClassesThat().resideInAnyPackage("io.kim.server..", "io.kim.spi..",
                        "io.kim.embedded..", "io.kim.filter..", "io.kim.testing..")
                .check(classes);
    }

    @Test
    void transports_dependOnKimCoreOnly() {
        noClasses().that().resideInAPackage("io.kim.transport..")
                .should().dependOnClassesThat().resideInAnyPackage("io.kim.server..", "io.kim.client..",
                        "io.kim.spi..", "io.kim.embedded..", "io.kim.filter..", "io.kim.testing..")
                .check(classes);
    }

    @Test
    void server_dependsOnNoClientTransportOrTestKit() {
        noClasses().that().resideInAnyPackage("io.kim.server..", "io.kim.embedded..", "io.kim.filter..")
                .should().dependOnClassesThat().resideInAnyPackage("io.kim.client..", "io.kim.transport..",
                        "io.kim.testing..")
                .check(classes);
    }

    /**
     * Public and protected fields, constructors and methods of a public class: their types, parameter types,
     * return types and thrown types, generic arguments included, never name a class of an {@code internal}
     * package. Nor do a public class's supertypes.
     */
    private static ArchCondition<JavaClass> exposeNoInternalType() {
        return new ArchCondition<>("expose no type of an internal package in its public API") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                for (JavaClass s : c.getRawInterfaces()) {
                    report(c, "implements", Set.of(s), events);
                }
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
