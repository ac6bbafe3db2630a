package devdir

import (
	"bytes"
	"strings"
	"text/template"
)

// siteConfig fills configTemplate.
type siteConfig struct {
	ServerName string
	// Host is an ldap:// URL; the UI upgrades the connection with StartTLS.
	Host    string
	BaseDN  string
	LoginDN string
	// CAFile verifies the directory's certificate.
	CAFile string
	// SessionSecret encrypts what phpLDAPadmin keeps in its session.
	SessionSecret string
}

// configTemplate is a phpLDAPadmin 1.2 config.php: one server, reached by
// StartTLS with certificate verification against CAFile, login by DN (the
// form is pre-filled with LoginDN), no anonymous login, new passwords
// stored as {SSHA} (which slapd verifies), the template warnings hidden.
var configTemplate = template.Must(template.New("config.php").Funcs(template.FuncMap{"php": phpString}).Parse(`<?php
/* Generated for one run of the development directory; removed when it stops. */
$config->custom->session['blowfish'] = {{php .SessionSecret}};
$config->custom->appearance['hide_template_warning'] = true;
$config->custom->appearance['timezone'] = 'UTC';

$servers = new Datastore();
$servers->newServer('ldap_pla');
$servers->setValue('server','name',{{php .ServerName}});
$servers->setValue('server','host',{{php .Host}});
$servers->setValue('server','base',array({{php .BaseDN}}));
$servers->setValue('server','tls',true);
$servers->setValue('server','tls_cacert',{{php .CAFile}});
$servers->setValue('login','auth_type','session');
$servers->setValue('login','bind_id',{{php .LoginDN}});
$servers->setValue('login','anon_bind',false);
$servers->setValue('appearance','pla_password_hash','ssha');
`))

func renderConfig(c siteConfig) ([]byte, error) {
	var b bytes.Buffer
	if err := configTemplate.Execute(&b, c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// phpString quotes s as a single-quoted PHP literal, in which only the
// backslash and the single quote are special.
func phpString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
