package io.kim.examples.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * JSON of the admin API on Jackson: request bodies bound to records, strictly (unknown fields, duplicate keys,
 * trailing data, deep nesting and type coercions are refused), with Jackson's errors turned into 400 answers that
 * name the field and say what was expected. Messages never quote the offending input (it may be a password), only
 * where it is. The values themselves are checked by {@link Fields}.
 */
final class Json {

    /** Shared, thread-safe. */
    static final JsonMapper MAPPER = mapper();

    private Json() {
    }

    private static JsonMapper mapper() {
        JsonMapper m = JsonMapper.builder(JsonFactory.builder()
                        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build())
                        .build())
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
        // A number or a boolean where a string belongs is an error, not "42".
        m.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        m.coercionConfigFor(LogicalType.Collection)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        return m;
    }

    /**
     * Binds a request body that must be one JSON object with no fields but {@code type}'s components. Absent fields
     * and {@code null}s are {@code null} in the record.
     *
     * @throws ApiException 415 if the request says its body is not JSON; 400 if the body is empty, malformed, not
     *                      an object, has an unknown field or a value of the wrong JSON type
     */
    static <T> T read(Request req, Class<T> type) {
        checkContentType(req.headers().get(HttpHeaderNames.CONTENT_TYPE));
        if (new String(req.body(), java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            throw ApiException.badRequest("request body: empty (expected: a JSON object)");
        }
        JsonParser parser;
        try {
            parser = MAPPER.createParser(req.body());
        } catch (IOException e) {
            throw ApiException.badRequest("malformed JSON");
        }
        try {
            return MAPPER.readValue(parser, type);
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest("unknown field '" + shorten(e.getPropertyName()) + "' (expected: "
                    + known(e.getKnownPropertyIds()) + ")");
        } catch (MismatchedInputException e) {
            // The parser is still open here: its current token is what was found.
            throw mismatched(e, kind(parser.currentToken()));
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw ApiException.badRequest("malformed JSON");
        } finally {
            try {
                parser.close();
            } catch (IOException e) {
                // a byte array: nothing to release
            }
        }
    }

    private static ApiException mismatched(MismatchedInputException e, String found) {
        if (e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Trailing token")) {
            return malformed(e);
        }
        String path = path(e.getPath());
        if (path.isEmpty()) {
            return ApiException.badRequest("request body: a JSON " + found + " (expected: a JSON object)");
        }
        Class<?> target = e.getTargetType();
        String expected = target == null ? "another type"
                : Collection.class.isAssignableFrom(target) ? "an array of strings"
                : target == String.class ? "a string" : "a JSON object";
        return ApiException.badRequest("field '" + path + "': a JSON " + found + " (expected: " + expected + ")");
    }

    private static ApiException malformed(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        return ApiException.badRequest(at == null ? "malformed JSON"
                : "malformed JSON at line " + at.getLineNr() + ", column " + at.getColumnNr());
    }

    /** {@code members[0]} for the path object "members", index 0. */
    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (!b.isEmpty()) {
                    b.append('.');
                }
                b.append(shorten(r.getFieldName()));
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
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

    private static String kind(JsonToken t) {
        if (t == null) {
            return "value";
        }
        return switch (t) {
            case START_ARRAY, END_ARRAY -> "array";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case START_OBJECT, END_OBJECT, FIELD_NAME -> "object";
            case VALUE_STRING -> "string";
            case VALUE_NULL -> "null";
            default -> "value";
        };
    }

    private static String known(Collection<Object> ids) {
        List<String> names = new ArrayList<>();
        for (Object id : ids) {
            names.add(String.valueOf(id));
        }
        return String.join(", ", names);
    }

    private static String shorten(String name) {
        // Field names are the client's own keys; keep them short in the answer.
        return name == null ? "" : name.length() > 40 ? name.substring(0, 40) + "..." : name;
    }
}
