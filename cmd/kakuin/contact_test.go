package main

import (
	"testing"
)

// TestOrgContacts is an operator entering an organization with its
// corporate number and phone, then its registration contact twice: the
// second replaces the first, which stays in the history.
func TestOrgContacts(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t, backend)
			mustCLI(t, db.args("migrate")...)
			id := jsonString(oneJSON(t, mustCLI(t, db.args("org", "create", "--name", "Example Trading KK", "--country", "JP",
				"--province", "Tokyo", "--locality", "Chiyoda-ku", "--registration-number", "7000012050002",
				"--phone", "+81 3-1234-5678", "--json")...).stdout)["id"])
			show := oneJSON(t, mustCLI(t, db.args("org", "show", id, "--json")...).stdout)
			if jsonString(show["registration_number"]) != "7000012050002" || jsonString(show["phone"]) != "0312345678" {
				t.Errorf("org show: got %v, want the corporate number and the phone in national form", show)
			}
			contact := func(name, phone string) {
				mustCLI(t, db.args("org", "contact", id, "--role", "registration", "--name", name,
					"--email", "reg@example.co.jp", "--phone", phone)...)
			}
			contact("Yamada Taro", "03-1111-2222")
			contact("Suzuki Hanako", "050-3333-4444")
			current := oneJSON(t, mustCLI(t, db.args("org", "contacts", id, "--json")...).stdout)
			list, _ := current["contacts"].([]any)
			if len(list) != 1 || jsonString(list[0].(map[string]any)["name"]) != "Suzuki Hanako" {
				t.Errorf("org contacts: got %v, want only Suzuki Hanako", current)
			}
			all := oneJSON(t, mustCLI(t, db.args("org", "contacts", id, "--history", "--json")...).stdout)
			list, _ = all["contacts"].([]any)
			if len(list) != 2 || jsonString(list[0].(map[string]any)["name"]) != "Yamada Taro" ||
				list[0].(map[string]any)["valid_to"] == nil || list[1].(map[string]any)["valid_to"] != nil {
				t.Errorf("org contacts --history: got %v, want Yamada Taro (closed) then Suzuki Hanako (current)", all)
			}
			ok := oneJSON(t, mustCLI(t, db.args("audit", "verify", "--json")...).stdout)
			if jsonString(ok["ok"]) != "true" || jsonString(ok["events"]) != "3" {
				t.Errorf("audit verify: got %v, want ok with 3 events (org, two contacts)", ok)
			}
		})
	}
}
