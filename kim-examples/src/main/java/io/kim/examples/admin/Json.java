package io.kim.examples.admin;

import io.kim.spi.Validate;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reading request bodies: a JSON object whose fields are checked one by one, with messages that name the field and
 * say what was expected. Messages never quote the offending input (it may be a password), only where it is.
 */
final class Json {

    /** Shared, thread-safe. Strict: duplicate keys, trailing data and deep nesting are errors. */
    static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** The longest id (tenant, user, device, group) accepted, as the IM protocol has it. */
    static final int MAX_ID_LENGTH = Validate.MAX_ID_LENGTH;
    /** The longest password accepted; hashing cost grows with it. */
    static final int MAX_PASSWORD_LENGTH = 1024;
    /** The longest nickname, avatar, group name or introduction accepted, as the IM protocol has it. */
    static final int MAX_TEXT_LENGTH = Validate.MAX_TEXT_LENGTH;

    private final ObjectNode object;

    private Json(ObjectNode object) {
        this.object = object;
    }

    /**
     * Parses a request body that must be one JSON object with no fields but {@code allowed}.
     *
     * @throws ApiException 415 if the request says its body is not JSON; 400 if the body is empty, malformed, not
     *                      an object, or has an unknown field
     */
    static Json parseObject(Request req, Set<String> allowed) {
        checkContentType(req.headers().get(HttpHeaderNames.CONTENT_TYPE));
        JsonNode node;
        try {
            node = MAPPER.readTree(req.body());
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw ApiException.badRequest(at == null ? "malformed JSON"
                    : "malformed JSON at line " + at.getLineNr() + ", column " + at.getColumnNr());
        } catch (IOException e) {
            throw ApiException.badRequest("malformed JSON");
        }
        if (node == null || node.isMissingNode()) {
            throw ApiException.badRequest("request body: empty (expected: a JSON object)");
        }
        if (!(node instanceof ObjectNode o)) {
            throw ApiException.badRequest("request body: a JSON " + kind(node) + " (expected: a JSON object)");
        }
        List<String> unknown = new ArrayList<>();
        for (var field : o.properties()) {
            if (!allowed.contains(field.getKey())) {
                unknown.add(field.getKey());
            }
        }
        if (!unknown.isEmpty()) {
            throw ApiException.badRequest("unknown field" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", quoted(unknown)) + " (expected: " + String.join(", ", allowed) + ")");
        }
        return new Json(o);
    }

    private static void checkContentType(String type) {
        if (type == null) {
            return; // no type given: read it as JSON
        }
        String mime = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!mime.equals("application/json") && !mime.endsWith("+json")) {
            throw new ApiException(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                    "Content-Type: " + (mime.length() > 60 ? mime.substring(0, 60) : mime)
                            + " (expected: application/json)");
        }
    }

    /** A required id: a string of 1 to {@value #MAX_ID_LENGTH} characters, not blank, no control characters. */
    String id(String name) {
        return checkId("field '" + name + "'", requiredString(name));
    }

    /** An optional id, or {@code dflt} if the field is absent or null. */
    String optionalId(String name, String dflt) {
        String v = optionalString(name, null);
        return v == null ? dflt : checkId("field '" + name + "'", v);
    }

    /** A required string of at most {@code maxLength} characters (may be empty). */
    String text(String name, int maxLength) {
        return checkLength(name, requiredString(name), maxLength);
    }

    /** An optional string of at most {@code maxLength} characters, or {@code dflt} if absent or null. */
    String optionalText(String name, int maxLength, String dflt) {
        String v = optionalString(name, null);
        return v == null ? dflt : checkLength(name, v, maxLength);
    }

    /** A required, non-empty password of at most {@value #MAX_PASSWORD_LENGTH} characters, as a fresh array. */
    char[] password(String name) {
        String v = requiredString(name);
        if (v.isEmpty() || v.length() > MAX_PASSWORD_LENGTH) {
            // The length only: the value is a secret.
            throw ApiException.badRequest("field '" + name + "': " + v.length() + " characters (expected: 1 to "
                    + MAX_PASSWORD_LENGTH + ")");
        }
        return v.toCharArray();
    }

    /** A required array of ids, duplicates removed, in first-seen order. */
    List<String> ids(String name) {
        JsonNode v = object.get(name);
        if (v == null || v.isNull()) {
            throw missing(name);
        }
        if (!v.isArray()) {
            throw ApiException.badRequest("field '" + name + "': a JSON " + kind(v) + " (expected: an array of strings)");
        }
        Set<String> ids = new LinkedHashSet<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual()) {
                throw ApiException.badRequest("field '" + name + "[" + i + "]': a JSON " + kind(e)
                        + " (expected: a string)");
            }
            ids.add(checkId("field '" + name + "[" + i + "]'", e.textValue()));
        }
        return List.copyOf(ids);
    }

    private String requiredString(String name) {
        String v = optionalString(name, null);
        if (v == null) {
            throw missing(name);
        }
        return v;
    }

    private String optionalString(String name, String dflt) {
        JsonNode v = object.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest("field '" + name + "': a JSON " + kind(v) + " (expected: a string)");
        }
        return v.textValue();
    }

    private static ApiException missing(String name) {
        return ApiException.badRequest("field '" + name + "': missing (required)");
    }

    /**
     * {@code v} if it is a valid id: 1 to {@value #MAX_ID_LENGTH} characters, not blank, no control characters.
     *
     * @param what names the value in the message, for example {@code "field 'userId'"}
     */
    static String checkId(String what, String v) {
        boolean control = v.chars().anyMatch(Character::isISOControl);
        if (v.isBlank() || v.length() > MAX_ID_LENGTH || control) {
            throw ApiException.badRequest(what + ": " + (v.isBlank() ? "blank" : control
                    ? "has control characters" : v.length() + " characters")
                    + " (expected: 1 to " + MAX_ID_LENGTH + " characters, not blank, no control characters)");
        }
        return v;
    }

    private static String checkLength(String name, String v, int maxLength) {
        if (v.length() > maxLength) {
            throw ApiException.badRequest("field '" + name + "': " + v.length() + " characters (expected: at most "
                    + maxLength + ")");
        }
        return v;
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "array";
            case BOOLEAN -> "boolean";
            case NUMBER -> "number";
            case OBJECT, POJO -> "object";
            case STRING -> "string";
            case NULL -> "null";
            default -> "value";
        };
    }

    private static List<String> quoted(List<String> names) {
        List<String> q = new ArrayList<>(names.size());
        for (String n : names) {
            // Field names are the client's own keys; keep them short in the answer.
            q.add("'" + (n.length() > 40 ? n.substring(0, 40) + "..." : n) + "'");
        }
        return Collections.unmodifiableList(q);
    }
}
